"""Hardware facts as data: GPU models, EC2 instance types, NICs, DPUs, NCCL variables, expectations."""

from aiinfra_iac.catalog.expect import expected_nccl_busbw, expected_rdma_gbps, fabric_bound_gbytes
from aiinfra_iac.catalog.shape import CatalogDataError
from aiinfra_iac.catalog.store import closest, load_catalog, normalize_gpu_model
from aiinfra_iac.catalog.types import Catalog

__all__ = [
    "Catalog",
    "CatalogDataError",
    "closest",
    "expected_nccl_busbw",
    "expected_rdma_gbps",
    "fabric_bound_gbytes",
    "load_catalog",
    "normalize_gpu_model",
]
