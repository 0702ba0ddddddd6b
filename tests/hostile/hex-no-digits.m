hex at=0
