enum KysoCorePlaceholder {}
