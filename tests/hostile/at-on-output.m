output x.img at=4
