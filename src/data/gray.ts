/**
 * The one colour→gray conversion of pathlight (PNG inputs in the CLI and the demo, dropped images
 * in the demo): 0.2989 R + 0.587 G + 0.114 B, the weights of TensorFlow's
 * `tf.image.rgb_to_grayscale` and MATLAB's `rgb2gray` (ITU-R BT.601 luma, rounded), so an image
 * preprocessed here matches one preprocessed by those tools.
 */
export const GRAY_WEIGHTS = { r: 0.2989, g: 0.587, b: 0.114 } as const;

/** Gray value of one RGB pixel (any scale; [0, 1] in, [0, 0.9999] out). */
export function rgbToGray(r: number, g: number, b: number): number {
  return GRAY_WEIGHTS.r * r + GRAY_WEIGHTS.g * g + GRAY_WEIGHTS.b * b;
}
