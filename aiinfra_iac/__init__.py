"""aiinfra-iac: one typed blueprint to a provisioned, configured and measured AI training cluster."""

__version__ = "0.1.0"
