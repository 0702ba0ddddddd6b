data "a"
data b

# c
data "c"
  data d