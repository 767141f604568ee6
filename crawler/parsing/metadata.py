"""The 信息公开元数据 block, <meta> tags and bylines -> Metadata (title, 索引号, dates, agency, year)."""
