data "x" at=1 at=+1
