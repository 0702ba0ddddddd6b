zero len=1 at=+2E
zero len=1 at=+2E
zero len=1 at=+2E
zero len=1 at=+2E
