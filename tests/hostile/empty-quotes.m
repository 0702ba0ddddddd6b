data """"""
