from array import array

def scan_damo_json(
    data: bytes,
) -> list[tuple[int | None, tuple[int, int, int] | None, array, array, array, array, array,
                array, array]] | None: ...
