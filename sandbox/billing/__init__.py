"""The consolidated bill: CUR 2.0 parquet; Cost Explorer and Athena answering from it."""
