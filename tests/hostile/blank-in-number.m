zero len="1 "
