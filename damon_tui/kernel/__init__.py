"""The kernel's own DAMON: sysfs kdamonds and the DAMON_RECLAIM / DAMON_LRU_SORT modules.

``sysfs`` (paths, reads, writes, errno sentences), ``tree`` (write a configuration,
read a tree), ``ownership`` (which kdamonds are ours), ``session`` (our kdamond and its
snapshots), ``modules`` (module parameters), ``status`` (read-only description),
``cli`` (``--kernel`` options).  Nothing here writes outside the injected roots.
"""
