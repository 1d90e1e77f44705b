"""Vietnamese identifiers for lab certificates: tax codes (MST) and citizen IDs (CCCD).

Pure functions, no I/O. The check-digit rule follows python-stdnum's stdnum/vn/mst.py;
a base whose weighted sum is 0 mod 11 is skipped, so every generated code is valid
under both readings of that rule.
"""
import secrets

MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)

# Tax-code province prefixes with the province name used for ST in the subject.
# 04 pairs with Đà Nẵng as in the public sample "MST:0400260612 ... UBND TP Đà Nẵng".
PROVINCES = (
    ("01", "Hà Nội"),
    ("02", "Hải Phòng"),
    ("03", "Hồ Chí Minh"),
    ("04", "Đà Nẵng"),
)

# First three digits of a CCCD: the province of birth registration.
CCCD_PROVINCE = {"01": "001", "02": "031", "03": "079", "04": "048"}


def mst_check_digit(first_nine):
    """The 10th digit for a 9-digit base, or None when the base has no valid code."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError("tax code base must be 9 digits")
    remainder = sum(w * int(d) for w, d in zip(MST_WEIGHTS, first_nine)) % 11
    if remainder == 0:
        return None
    return str(10 - remainder)


def is_valid_mst(code):
    """True for `##########` or `##########-###` with a correct check digit."""
    base, _, branch = code.partition("-")
    if len(base) != 10 or not base.isdigit():
        return False
    if branch and (len(branch) != 3 or not branch.isdigit() or branch == "000"):
        return False
    if base[2:9] == "0000000":
        return False
    return mst_check_digit(base[:9]) == base[9]


def random_mst(province_code):
    """A random valid 10-digit tax code registered in the given province."""
    while True:
        middle = "".join(str(secrets.randbelow(10)) for _ in range(7))
        if middle == "0000000":
            continue
        check = mst_check_digit(province_code + middle)
        if check is not None:
            return province_code + middle + check


def random_cccd(province_code, female, birth_year):
    """A 12-digit citizen ID: province (3), gender/century (1), birth year (2), random (6)."""
    century = 0 if birth_year < 2000 else 2
    gender_century = century + (1 if female else 0)
    tail = "".join(str(secrets.randbelow(10)) for _ in range(6))
    return CCCD_PROVINCE[province_code] + str(gender_century) + "%02d" % (birth_year % 100) + tail
