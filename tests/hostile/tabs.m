	data	"a	b"		at=0	# c
	hex	01	0x02
