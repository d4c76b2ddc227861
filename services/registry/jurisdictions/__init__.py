"""Jurisdictions (管辖单位): the district, its towns, streets and park committees."""
