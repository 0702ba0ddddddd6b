data "aaaa" at=0
data "bb" at=2
