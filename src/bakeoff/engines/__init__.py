"""Engines: the catalog and the provisioners that make an engine answer for a trial."""
