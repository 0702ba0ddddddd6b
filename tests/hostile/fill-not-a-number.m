fill x len=1
