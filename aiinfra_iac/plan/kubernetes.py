"""Kubernetes facts shared by provisioning (what is installed) and validation (what pods request).

RDMA shared device plugin run by the Network Operator's NicClusterPolicy: one resource
``rdma/<RDMA_SHARED_RESOURCE>`` for every Mellanox/NVIDIA HCA (PCI vendor 15b3) of a node, shared
by up to 63 pods. Source (shape and resource name): the NicClusterPolicy example,
https://docs.nvidia.com/networking/display/kubernetes2410/customizations/cr-full-example.html;
plugin release: https://pkg.go.dev/github.com/Mellanox/k8s-rdma-shared-dev-plugin (v1.5.3).
"""

from __future__ import annotations

RDMA_SHARED_RESOURCE = "rdma_shared_device_a"
RDMA_SHARED_PLUGIN_VERSION = "v1.5.3"
