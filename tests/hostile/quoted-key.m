zero "len"=4
