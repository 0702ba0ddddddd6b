# nothing

   	# at all
