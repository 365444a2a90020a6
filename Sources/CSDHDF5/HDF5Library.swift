import CHDF5
import CZlib
import CSDTensor
