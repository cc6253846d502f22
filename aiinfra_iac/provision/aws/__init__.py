"""AWS components: network, identities, node pools, EKS and storage."""
