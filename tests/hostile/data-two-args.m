data a b
