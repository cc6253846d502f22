"""Rails: which NIC (or EFA network card) serves which GPUs, and on which NUMA node.

* EFA (aws): one rail per EFA network card; cards are spread evenly over the GPUs in index
  order (p5.48xlarge: cards 0-3 -> GPU 0, ... 28-31 -> GPU 7) and take their GPU's NUMA node
  from the catalog's ``gpu_numa``.
* InfiniBand / RoCE: one rail per HCA (``mlx5_<n>`` unless the blueprint names them); GPU i
  uses rail ``i * rails // gpus``; the rail's NUMA node is its first GPU's.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiinfra_iac.plan.model import Rail


def default_gpu_numa(gpu_count: int, numa_nodes: int) -> tuple[int, ...]:
    """NUMA node per GPU when no catalog map exists: GPUs split evenly (by halves on 2 sockets)."""
    if gpu_count == 0 or numa_nodes <= 1:
        return (0,) * gpu_count
    return tuple(index * numa_nodes // gpu_count for index in range(gpu_count))


def default_numa_nodes(gpu_count: int) -> int:
    """Sockets assumed for a host the catalog does not know: HGX-class 2-socket when GPUs pair up."""
    return 2 if gpu_count >= 2 and gpu_count % 2 == 0 else 1


def _rail_numa(gpus: Sequence[int], gpu_numa: Sequence[int], index: int, rails: int, numa_nodes: int) -> int:
    if gpus:
        return gpu_numa[gpus[0]]
    return index * numa_nodes // rails


def _gpus_of(rail: int, rails: int, gpu_count: int) -> tuple[int, ...]:
    """GPUs whose traffic goes over ``rail``: GPU i -> rail i * rails // gpus; spare rails share."""
    if gpu_count == 0:
        return ()
    if rails >= gpu_count:
        return (rail * gpu_count // rails,)
    return tuple(gpu for gpu in range(gpu_count) if gpu * rails // gpu_count == rail)


def efa_rails(
    network_cards: Sequence[int], gpu_count: int, gpu_numa: Sequence[int], numa_nodes: int, link_gbps: int
) -> tuple[Rail, ...]:
    """One rail per EFA network card, in card order."""
    count = len(network_cards)
    return tuple(
        Rail(
            index=index,
            device=f"efa{card}",
            network_card_index=card,
            gpus=(gpus := _gpus_of(index, count, gpu_count)),
            numa_node=_rail_numa(gpus, gpu_numa, index, count, numa_nodes),
            link_gbps=link_gbps,
        )
        for index, card in enumerate(network_cards)
    )


def spread_cards(efa_cards: Sequence[int], rails: int) -> tuple[int, ...]:
    """``rails`` cards chosen evenly from the EFA cards (all of them when rails >= len)."""
    if rails >= len(efa_cards):
        return tuple(efa_cards)
    return tuple(efa_cards[index * len(efa_cards) // rails] for index in range(rails))


def hca_rails(
    hcas: Sequence[str], gpu_count: int, gpu_numa: Sequence[int], numa_nodes: int, link_gbps: int
) -> tuple[Rail, ...]:
    """One rail per HCA (IB or RoCE), in the order given."""
    count = len(hcas)
    return tuple(
        Rail(
            index=index,
            device=device,
            network_card_index=None,
            gpus=(gpus := _gpus_of(index, count, gpu_count)),
            numa_node=_rail_numa(gpus, gpu_numa, index, count, numa_nodes),
            link_gbps=link_gbps,
        )
        for index, device in enumerate(hcas)
    )
