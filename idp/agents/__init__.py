"""经办人 (agents): personal accounts a legal person authorized to act for its enterprise."""
