"""Reading the team's data: files to records, records to examples with stable ids."""
