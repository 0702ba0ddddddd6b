fill len=1
