"""Types every layer of bakeoff may use: endpoint, table spec, capabilities, measurement
rows, secrets and redaction, the HdrHistogram codec. Nothing here imports another part of
bakeoff."""
