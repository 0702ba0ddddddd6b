zero len=4E at=4E
