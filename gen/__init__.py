"""gen: compile an app model into one Terraform (CDKTF) stack per environment and cloud."""

__version__ = "0.1.0"
