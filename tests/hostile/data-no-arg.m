data at=1
