data "x" at=++1
