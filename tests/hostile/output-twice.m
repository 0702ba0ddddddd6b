output a.img
output b.img
