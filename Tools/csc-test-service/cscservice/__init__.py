"""A Cloud Signature Consortium (CSC) API test service over the Kyso token lab (see ../README.md)."""
