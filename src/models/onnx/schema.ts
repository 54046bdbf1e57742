/**
 * The subset of ONNX's onnx.proto (proto2, package `onnx`) that a CNN inference graph uses,
 * with the field numbers of the public spec. Kept as an inline string parsed by protobufjs, so
 * nothing is read from disk at run time (the browser bundle works as is). Fields not listed
 * here (sparse tensors, training info, functions, …) are skipped by the decoder.
 */
import protobuf from 'protobufjs';

const ONNX_PROTO_SUBSET = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
    SPARSE_TENSOR = 11; SPARSE_TENSORS = 12; TYPE_PROTO = 13; TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  enum DataType {
    UNDEFINED = 0; FLOAT = 1; UINT8 = 2; INT8 = 3; UINT16 = 4; INT16 = 5; INT32 = 6; INT64 = 7;
    STRING = 8; BOOL = 9; FLOAT16 = 10; DOUBLE = 11; UINT32 = 12; UINT64 = 13;
    COMPLEX64 = 14; COMPLEX128 = 15; BFLOAT16 = 16;
  }
  enum DataLocation { DEFAULT = 0; EXTERNAL = 1; }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  optional DataLocation data_location = 14;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}
`;

export const onnxRoot = protobuf.parse(ONNX_PROTO_SUBSET, { keepCase: true }).root;

/** The `onnx.ModelProto` message type (decode a file with `ModelProto.decode(bytes)`). */
export const ModelProto = onnxRoot.lookupType('onnx.ModelProto');

/** How decoded messages become the plain objects typed below: int64 as numbers, defaults filled in. */
export const TO_OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, defaults: true, arrays: true };

// Plain-object views of the decoded messages after `ModelProto.toObject(message, TO_OBJECT_OPTIONS)`.
// int64 values beyond 2^53 lose precision; no supported op needs them.

export interface TensorProtoMessage {
  dims: number[];
  data_type: number;
  float_data: number[];
  int32_data: number[];
  int64_data: number[];
  double_data: number[];
  uint64_data: number[];
  string_data: Uint8Array[];
  name: string;
  raw_data: Uint8Array;
  data_location: number;
  external_data: { key: string; value: string }[];
}

export interface AttributeProtoMessage {
  name: string;
  ref_attr_name: string;
  type: number;
  f: number;
  i: number;
  s: Uint8Array;
  t?: TensorProtoMessage | null;
  g?: unknown;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  tensors: TensorProtoMessage[];
  graphs: unknown[];
}

export interface NodeProtoMessage {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: AttributeProtoMessage[];
}

export interface ValueInfoProtoMessage {
  name: string;
  type?: {
    tensor_type?: {
      elem_type: number;
      shape?: { dim: { dim_value?: number | null; dim_param?: string | null }[] } | null;
    } | null;
  } | null;
}

export interface GraphProtoMessage {
  node: NodeProtoMessage[];
  name: string;
  initializer: TensorProtoMessage[];
  input: ValueInfoProtoMessage[];
  output: ValueInfoProtoMessage[];
}

export interface ModelProtoMessage {
  ir_version: number;
  opset_import: { domain: string; version: number }[];
  producer_name: string;
  graph?: GraphProtoMessage | null;
}
