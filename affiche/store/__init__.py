"""DynamoDB single-table storage (pynamodb), transactional writes, export/import."""
