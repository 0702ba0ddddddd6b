DATA "x"
