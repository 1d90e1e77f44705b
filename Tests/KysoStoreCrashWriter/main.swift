import KysoStore
