#! /bin/bash
# BERT-large on SN30: compile, then submit the data-parallel run (simulated node edition).
#   ./BertLarge.sh            compile (unless the PEF exists), then sbatch BertLarge_run.sh
#   ./BertLarge.sh compile    compile only
set -e -o pipefail
SIM_ROOT=${ENVDOCTOR_SIM_ROOT:-}
export SOFTWARE_HOME=${SIM_ROOT}/opt
MODE=all
LOGDIR=`date +%m%d%y.%H`
if [ "$1" = "compile" ] ; then
  MODE=compile
elif [ "$1" ] ; then
  LOGDIR=$1
fi
MODEL_NAME="BertLarge"
OUTPUT_PATH=${PWD}/${LOGDIR}/${MODEL_NAME}.out
echo "Using ${OUTPUT_PATH} for output"
mkdir -p ${PWD}/${LOGDIR}
ACTIVATE=${SIM_ROOT}/opt/sambaflow/apps/nlp/transformers_on_rdu/venv/bin/activate
export OMP_NUM_THREADS=18
SECONDS=0
OUTDIR=${HOME}/${MODEL_NAME}
BATCH=${BATCH_SIZE:-256}
case "$BATCH" in
  16|32|64|128|256) ;;
  *) echo "Batchsize $BATCH is invalid use 16,32,64,or 128,256" | tee -a ${OUTPUT_PATH}; exit 1 ;;
esac
if [ -f ${ACTIVATE} ] ; then source ${ACTIVATE}; fi
PROJ_DIR=${PWD}
cd ${HOME}
echo "Model: " ${MODEL_NAME} | tee ${OUTPUT_PATH}
echo "Date: " $(date +%m/%d/%y) | tee -a ${OUTPUT_PATH}
echo "Time: " $(date +%H:%M) | tee -a ${OUTPUT_PATH}
mkdir -p ${OUTDIR}
cd ${OUTDIR}
PEF=${OUTDIR}/bertlrg/bertlrg.pef
if [ -e ${PEF} ] && ! grep -q "\"batch_size\": ${BATCH}," ${PEF} ; then
  echo "${PEF} was compiled for another batch size; recompiling" | tee -a ${OUTPUT_PATH}
  rm -f ${PEF}
fi
if [ -e ${PEF} ] ; then
  echo "${PEF} exists" | tee -a ${OUTPUT_PATH}
else
  export SN_NUM_THREADS=32
  echo "COMPILE START AT ${SECONDS}" | tee -a ${OUTPUT_PATH}
  COMMAND="python -m accelsim sambanova compile --model_name_or_path bert-large-uncased --max_seq_length 128 -b ${BATCH} --data-parallel -ws 2 --num-tiles 4 --pef-name=bertlrg --output-folder=${OUTDIR}"
  echo "COMPILE COMMAND: $COMMAND" | tee -a ${OUTPUT_PATH}
  eval $COMMAND 2>&1 | tee -a ${OUTPUT_PATH}
  echo "COMPILE END AT ${SECONDS}" | tee -a ${OUTPUT_PATH}
fi
if [ "$MODE" = "compile" ] ; then
  echo "Duration: " $SECONDS | tee -a ${OUTPUT_PATH}
  exit 0
fi
echo "RUN" | tee -a ${OUTPUT_PATH}
sbatch --output=${HOME}/slurm-%A.out --ntasks 16 --gres=rdu:8 --ntasks-per-node 16 --nodes 1 --cpus-per-task=8 ${PROJ_DIR}/BertLarge_run.sh $1 2>&1 | tee -a ${OUTPUT_PATH}
echo "Duration: " $SECONDS | tee -a ${OUTPUT_PATH}
