"""Reports of a :class:`~aiinfra_iac.validate.types.Verdict`: JSON, JUnit XML, HTML, terminal table."""
