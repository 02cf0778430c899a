"""Upward data exchange: the national data specification's datasets (公共资源交易平台系统数据规范),
checked against each dataset's validators and pushed from the outbox to the provincial platform."""
