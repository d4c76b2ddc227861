"""Keycloak accounts of agency admins and staff: the registry's side of provisioning."""
