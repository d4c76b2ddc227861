"""Archive service: pollution sources, classification, one file per source (一源一档), self-service downloads."""
