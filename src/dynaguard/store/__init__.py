"""DynamoDB storage: one client per process, a single table, one repository per entity."""
