// The pooling window geometry shared by pool.wgsl and pool_backward.wgsl (inserted as POOL_SHAPE).
const H = ${H};
const W = ${W};
const KH = ${KH};
const KW = ${KW};
const SH = ${SH};
const SW = ${SW};
const PH = ${PH};
const PW = ${PW};
const HO = ${HO};
const WO = ${WO};
