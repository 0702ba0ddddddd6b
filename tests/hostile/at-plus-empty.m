data "x" at=+
