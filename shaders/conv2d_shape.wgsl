// The conv2d geometry shared by the forward, input-gradient and weight-gradient shaders (inserted as the
// CONV_SHAPE parameter). Strides, padding and dilation are abstract integers: each shader uses them
// in u32 or i32 arithmetic as its index math needs.
const CIN = ${CIN}u;
const CIN_G = ${CIN_G}u;
const COUT = ${COUT}u;
const COUT_G = ${COUT_G}u;
const H = ${H}u;
const W = ${W}u;
const HO = ${HO}u;
const WO = ${WO}u;
const KH = ${KH}u;
const KW = ${KW}u;
const SH = ${SH};
const SW = ${SW};
const PH = ${PH};
const PW = ${PW};
const DH = ${DH};
const DW = ${DW};
const HW = H * W;
const NPIX = HO * WO;
const KK = KH * KW;
