uuid txt
