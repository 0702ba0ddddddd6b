file "ÿşÃ(.bin"
