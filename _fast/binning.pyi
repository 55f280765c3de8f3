from array import array

def wss(starts: array, ends: array, nr_acc: array, offsets: array, first: int, last: int,
        acc_thres: int, sz_thres: int) -> array: ...
def guide(starts: array, ends: array, nr_acc: array, offsets: array,
          nsnap: int) -> tuple[list[tuple[int, int]], list[float | None]]: ...
def heatmap(starts: array, ends: array, nr_acc: array, ages: array, offsets: array,
            snap_start: array, snap_end: array, nsnap: int, aggr_us: int,
            time_start: int, time_unit: int, time_resol: int,
            addr_start: int, addr_unit: int, addr_resol: int,
            snap_aggr_us: array | None = None) -> tuple[array, array]: ...
