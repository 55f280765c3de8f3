from array import array

Scanned = list[tuple[int | None, tuple[int, int, int] | None, array, array, array, array,
                     array, array, array]]

class DamoScan:
    def feed(self, piece: bytes, final: bool = False) -> Scanned | bool | None: ...

def scan_damo_json(data: bytes) -> Scanned | None: ...
